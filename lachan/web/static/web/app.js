// Behaviours every page may use, declared with data- attributes: the Content-Security-Policy refuses inline
// scripts and on*= handlers (docs/deployment.md).
//   data-nav-toggle                 the menu button of a phone
//   data-autosubmit                 a select or radio that sends its form when changed
//   data-confirm="question"         a form that asks before it is sent
//   data-check-all="css selector"   a checkbox that ticks or clears every box the selector finds
//   data-searchable="placeholder"   a select (lachan.core.widgets.SearchableSelect) with a search box before it:
//                                   typed words, with or without diacritics, keep the options holding them all
//   data-date="date|datetime"       a day typed dd/mm/yyyy (and HH:MM) whatever the browser's language
//                                   (lachan.core.widgets.DateInput): a calendar button beside it opens a hidden
//                                   native picker whose choice is written back day first
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var toggle = e.target.closest("[data-nav-toggle]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    var all = e.target.closest("input[data-check-all]");
    if (all) {
      document.querySelectorAll(all.getAttribute("data-check-all")).forEach(function (box) { box.checked = all.checked; });
    }
  });
  document.addEventListener("change", function (e) {
    var field = e.target.closest("[data-autosubmit]");
    if (field && field.form) { field.form.requestSubmit(); }
  });
  document.addEventListener("submit", function (e) {
    var form = e.target, question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);
  // Lower case without diacritics, as lachan.core.text.fold (đ → d).
  function fold(text) {
    return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[^0-9a-z]+/g, " ").trim();
  }
  function searchable(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-search";
    box.placeholder = select.getAttribute("data-searchable");
    box.setAttribute("aria-label", select.getAttribute("data-searchable"));
    box.setAttribute("data-search-for", select.id || select.name);
    var options = Array.prototype.map.call(select.options, function (o) { return [o, fold(o.text)]; });
    box.addEventListener("input", function () {
      var words = fold(box.value).split(" ").filter(Boolean), first = null;
      options.forEach(function (pair) {
        var text = " " + pair[1] + " ";  // a word's start; a number whole ("1" is not "10")
        var shown = !pair[0].value || words.every(function (w) {
          return text.indexOf(" " + w + (/^[0-9]+$/.test(w) ? " " : "")) >= 0; });
        pair[0].hidden = !shown;
        if (shown && pair[0].value && first === null) { first = pair[0]; }
      });
      // The first match is chosen (the list shows what else matched); nothing typed keeps the choice.
      if (words.length && first) { select.value = first.value; }
    });
    select.parentNode.insertBefore(box, select);
  }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  // "7/12/2026 08:30" or ISO → the native picker's value ("2026-12-07" or "2026-12-07T08:30"); "" if unreadable.
  function toIso(text, withTime) {
    var m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T]+(\d{1,2}):(\d{2}))?\s*$/.exec(text || "");
    var day, time;
    if (m) {
      day = m[3] + "-" + two(+m[2]) + "-" + two(+m[1]);
      time = m[4] ? two(+m[4]) + ":" + m[5] : "00:00";
    } else {
      m = /^\s*(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}))?/.exec(text || "");
      if (!m) { return ""; }
      day = m[1];
      time = m[2] || "00:00";
    }
    return withTime ? day + "T" + time : day;
  }
  function fromIso(value, withTime) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(value || "");
    if (!m) { return ""; }
    return m[3] + "/" + m[2] + "/" + m[1] + (withTime ? " " + (m[4] || "00") + ":" + (m[5] || "00") : "");
  }
  function datePicker(field) {
    var withTime = field.getAttribute("data-date") === "datetime", label = field.getAttribute("data-date-label") || "";
    var native = document.createElement("input");
    native.type = withTime ? "datetime-local" : "date";
    native.className = "date-native";
    native.tabIndex = -1;
    native.setAttribute("aria-hidden", "true");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "date-pick";
    button.title = label;
    button.setAttribute("aria-label", label);
    button.setAttribute("data-date-pick", field.id || field.name);
    button.addEventListener("click", function () {
      native.value = toIso(field.value, withTime);
      if (typeof native.showPicker === "function") {
        try { native.showPicker(); return; } catch (err) { /* not allowed here: focus it instead */ }
      }
      native.focus();
    });
    native.addEventListener("change", function () {
      if (!native.value) { return; }
      field.value = fromIso(native.value, withTime);
      field.dispatchEvent(new Event("change", {bubbles: true}));
    });
    // beside the field, not around it: what follows the field (its errors) stays its sibling
    var tools = document.createElement("span");
    tools.className = "date-tools";
    tools.appendChild(button);
    tools.appendChild(native);
    field.insertAdjacentElement("afterend", tools);
  }
  window.lachanDates = {toIso: toIso, fromIso: fromIso};  // for the pages' own scripts (map/map.js)
  function enhance() {
    document.querySelectorAll("select[data-searchable]").forEach(searchable);
    document.querySelectorAll("input[data-date]").forEach(datePicker);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", enhance); } else { enhance(); }
})();

// Behaviours every page may use, declared with data- attributes: the Content-Security-Policy refuses inline
// scripts and on*= handlers (docs/deployment.md).
//   data-nav-toggle                 the menu button of a phone
//   data-autosubmit                 a select or radio that sends its form when changed
//   data-confirm="question"         a form that asks before it is sent
//   data-check-all="css selector"   a checkbox that ticks or clears every box the selector finds
//   data-searchable="placeholder"   a select (lachan.core.widgets.SearchableSelect) with a search box before it:
//                                   typed words, with or without diacritics, keep the options holding them all
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
  function enhance() { document.querySelectorAll("select[data-searchable]").forEach(searchable); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", enhance); } else { enhance(); }
})();

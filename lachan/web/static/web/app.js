// Behaviours every page may use, declared with data- attributes: the Content-Security-Policy refuses inline
// scripts and on*= handlers (docs/deployment.md).
//   data-nav-toggle                 the menu button of a phone
//   data-autosubmit                 a select or radio that sends its form when changed
//   data-confirm="question"         a form that asks before it is sent
//   data-check-all="css selector"   a checkbox that ticks or clears every box the selector finds
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
})();

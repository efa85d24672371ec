// Polls the rows every few seconds (web/poll.js; 204: nothing changed) and takes the buttons without reloading the
// page; without JavaScript the forms post and the page reloads.
(function () {
  var box = document.getElementById("alert-rows"), state = document.getElementById("poll-state");
  var error = document.getElementById("act-error");
  function fingerprint() { var el = box.querySelector("[data-fingerprint]"); return el ? el.getAttribute("data-fingerprint") : ""; }
  function stamp() { state.textContent = state.getAttribute("data-done") + " " + new Date().toLocaleTimeString(); }
  var poll = window.lachanPoll({
    every: Number(box.getAttribute("data-poll-seconds")),
    url: function (force) {
      var url = box.getAttribute("data-poll-url");
      return url + (url.indexOf("?") < 0 ? "?" : "&") + "fp=" + (force ? "" : fingerprint());
    },
    accept: "text/html",
    headers: {"X-Requested-With": "fetch"},
    onData: function (html) { box.innerHTML = html; stamp(); },
    onSame: stamp
  });
  box.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList.contains("alert-act")) { return; }
    e.preventDefault();
    var data = new FormData(form);
    if (e.submitter && e.submitter.name) { data.append(e.submitter.name, e.submitter.value); }
    // getAttribute: form.action would be the buttons named "action"
    fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
      .then(function (res) {
        error.hidden = res[0];
        if (!res[0]) { error.textContent = res[1].message || "?"; }
        poll.refresh(true);
      }).catch(function () {  // not an answer of ours: post the plain way
        if (e.submitter) { var hidden = document.createElement("input"); hidden.type = "hidden";
          hidden.name = e.submitter.name; hidden.value = e.submitter.value; form.appendChild(hidden); }
        HTMLFormElement.prototype.submit.call(form);
      });
  });
})();

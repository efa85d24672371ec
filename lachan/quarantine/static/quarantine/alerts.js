// Polls the rows every few seconds (204: nothing changed) and takes the buttons without reloading the page;
// without JavaScript the forms post and the page reloads.
(function () {
  var box = document.getElementById("alert-rows"), state = document.getElementById("poll-state");
  var error = document.getElementById("act-error"), period = Number(box.getAttribute("data-poll-seconds")) * 1000, busy = false;
  function fingerprint() { var el = box.querySelector("[data-fingerprint]"); return el ? el.getAttribute("data-fingerprint") : ""; }
  function refresh(force) {
    if (busy) { return; }
    busy = true;
    var url = box.getAttribute("data-poll-url");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "fp=" + (force ? "" : fingerprint());
    fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}}).then(function (r) {
      if (r.status === 200) { return r.text().then(function (html) { box.innerHTML = html; }); }
      if (r.status === 403 || r.status === 302) { window.location.reload(); }
    }).then(function () {
      state.textContent = state.getAttribute("data-done") + " " + new Date().toLocaleTimeString();
    }).catch(function () {}).then(function () { busy = false; });
  }
  setInterval(function () { if (!document.hidden) { refresh(false); } }, period);
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
        busy = false; refresh(true);
      }).catch(function () {  // not an answer of ours: post the plain way
        if (e.submitter) { var hidden = document.createElement("input"); hidden.type = "hidden";
          hidden.name = e.submitter.name; hidden.value = e.submitter.value; form.appendChild(hidden); }
        HTMLFormElement.prototype.submit.call(form);
      });
  });
})();

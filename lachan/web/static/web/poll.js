// One polling loop for the pages that refresh themselves (the dashboard, the map, the commune alert queue):
// docs/adr/0007-front-end.md says why they poll with this and not with htmx.
//
// lachanPoll({url, every, onData, onSame, onError, accept, headers, now, run}) polls every `every` seconds, not while
// the tab is hidden, and at once when the tab is shown again after a period without a successful poll.
//   url      a URL, or a function(force) giving one or a list of them (fetched together; onData gets a list)
//   accept   the Accept header, "application/json" by default; a "text/…" body is read as text, others as JSON
//   onData   the body of a 200; onSame: a 204 (nothing changed since what the page shows); onError: no answer, an
//            error status, or an exception in onData
//   now      poll once at once (else the first poll comes after `every`; no `every`: refresh() only)
//   run      instead of url/onData: a function(force) returning a promise (the page fetches with lachanPoll.get)
// 401, 403 or a redirect (a poll URL never redirects but to the log-in page) reload the page: the session ended or
// the reader's rights changed. A poll while one is running is skipped; refresh(true) runs once it has finished.
// Returns {refresh(force) → promise, stop()}.
(function () {
  "use strict";

  function get(url, accept, headers) {
    var sent = {"Accept": accept || "application/json"};
    Object.keys(headers || {}).forEach(function (name) { sent[name] = headers[name]; });
    return fetch(url, {credentials: "same-origin", headers: sent}).then(function (r) {
      if (r.status === 401 || r.status === 403 || r.redirected) {
        window.location.reload();
        throw new Error("signed out");
      }
      if (r.status === 204) { return null; }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return /^text\//.test(sent.Accept) ? r.text() : r.json();
    });
  }

  function lachanPoll(options) {
    var period = (Number(options.every) || 0) * 1000, busy = false, again = false, lastOk = Date.now(), timer = null;

    function once(force) {
      if (options.run) { return Promise.resolve(options.run(force)); }
      var url = typeof options.url === "function" ? options.url(force) : options.url, many = Array.isArray(url);
      return Promise.all((many ? url : [url]).map(function (one) {
        return get(one, options.accept, options.headers);
      })).then(function (bodies) {
        if (!many && bodies[0] === null) {
          if (options.onSame) { options.onSame(); }
        } else if (options.onData) {
          options.onData(many ? bodies : bodies[0]);
        }
      });
    }

    function refresh(force) {
      if (busy) {
        again = again || !!force;
        return Promise.resolve();
      }
      busy = true;
      return once(force).then(function () { lastOk = Date.now(); }, function (error) {
        if (options.onError) { options.onError(error); }
      }).then(function () {
        busy = false;
        if (again) { again = false; return refresh(true); }
      });
    }

    if (period) {
      timer = setInterval(function () { if (!document.hidden) { refresh(false); } }, period);
      document.addEventListener("visibilitychange", function () {
        if (timer && !document.hidden && Date.now() - lastOk > period) { refresh(false); }  // back on the tab
      });
    }
    if (options.now) { refresh(false); }
    return {refresh: refresh, stop: function () { clearInterval(timer); timer = null; }};
  }

  lachanPoll.get = get;
  window.lachanPoll = lachanPoll;
})();

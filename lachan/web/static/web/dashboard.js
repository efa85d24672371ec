// The operations-centre dashboard: every POLL seconds (through web/poll.js: not while the tab is hidden) it fetches
// the indicators (/api/operations/summary) and the feed's new items (/api/operations/feed?since=…), puts the numbers
// into the elements that carry data-field, adds the new feed items on top, redraws the curve when its counts
// changed, and says when it was last updated — or that the server cannot be reached. Without JavaScript the page
// shows the figures of its loading.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || !window.fetch || !window.lachanPoll) { return; }
  var lang = document.documentElement.lang || "vi";
  var period = (parseInt(root.getAttribute("data-poll-seconds"), 10) || 30) * 1000;
  var feedMax = parseInt(root.getAttribute("data-feed-max"), 10) || 30;
  var summaryUrl = root.getAttribute("data-summary-url"), feedUrl = root.getAttribute("data-feed-url");
  var status = document.getElementById("dash-status"), updated = document.getElementById("dash-updated");
  var error = document.getElementById("dash-error"), clock = document.getElementById("tv-clock");
  var feed = document.getElementById("feed"), feedEmpty = document.getElementById("feed-empty");
  var template = document.getElementById("feed-item-template"), curveBox = document.getElementById("curve-box");
  var integer = new Intl.NumberFormat(lang), decimal = new Intl.NumberFormat(lang, {maximumFractionDigits: 1});
  var curveKey = null;
  // Times in the deployment's zone (the server's), whatever the zone of the screen's computer.
  var zone = root.getAttribute("data-time-zone") || undefined;
  var clockParts;
  try {
    clockParts = new Intl.DateTimeFormat("en-GB", {timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"});
  } catch (e) {
    clockParts = new Intl.DateTimeFormat("en-GB", {year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
      minute: "2-digit", second: "2-digit", hourCycle: "h23"});
  }
  function parts(d) {
    var out = {};
    clockParts.formatToParts(d).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function hms(d) { var p = parts(d); return p.hour + ":" + p.minute + ":" + p.second; }
  function dayMonthTime(d) { var p = parts(d); return p.day + "/" + p.month + " " + p.hour + ":" + p.minute; }
  function fullTime(d) { var p = parts(d); return p.day + "/" + p.month + "/" + p.year + " " + hms(d); }

  function lookup(data, path) {
    var parts = path.split("."), value = data;
    for (var i = 0; i < parts.length; i++) {
      if (value === null || value === undefined) { return null; }
      value = value[parts[i]];
    }
    return value === undefined ? null : value;
  }

  function format(value, how) {
    if (value === null) { return "—"; }
    if (how === "percent") { return decimal.format(value) + "\u00a0%"; }
    if (how === "signed") { return (value > 0 ? "+" : "") + integer.format(value); }
    if (how === "signed-percent") { return (value > 0 ? "+" : "") + integer.format(Math.round(value)) + "\u00a0%"; }
    if (how === "date") { var p = String(value).split("-"); return p.length === 3 ? p[2] + "/" + p[1] + "/" + p[0] : value; }
    return typeof value === "number" ? integer.format(value) : String(value);
  }

  function showSummary(data) {
    root.querySelectorAll("[data-field]").forEach(function (el) {
      var text = format(lookup(data, el.getAttribute("data-field")), el.getAttribute("data-format"));
      if (el.textContent !== text) {
        el.textContent = text;
        el.classList.remove("changed");
        void el.offsetWidth;  // restart the highlight
        el.classList.add("changed");
      }
    });
    root.querySelectorAll("[data-hide-if-null]").forEach(function (el) {
      el.hidden = lookup(data, el.getAttribute("data-hide-if-null")) === null;
    });
    root.querySelectorAll("[data-trend-field]").forEach(function (el) {
      var v = lookup(data, el.getAttribute("data-trend-field"));
      el.setAttribute("data-trend", v > 0 ? "up" : (v < 0 ? "down" : "flat"));
    });
    var alerts = root.querySelector("[data-alert-total]");
    if (alerts && data.alerts) { alerts.classList.toggle("has-alerts", data.alerts.total > 0); }
    if (data.curve && curveBox) {
      var days = data.curve.days, last = days[days.length - 1];
      var key = data.curve.last + ":" + days.map(function (d) { return d.community + "/" + d.in_quarantine; }).join(",");
      if (key !== curveKey) { redrawCurve(); }  // the first time too: the page may have been drawn a while ago
      curveKey = key;
      if (last) { curveBox.setAttribute("data-today-total", last.total); }
    }
  }

  function redrawCurve() {
    fetch(curveBox.getAttribute("data-url"), {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (svg) { if (svg) { curveBox.innerHTML = svg; } }).catch(function () {});
  }

  function newestTime() {
    var first = feed && feed.querySelector(".feed-item[data-at]");
    return first ? new Date(first.getAttribute("data-at")) : null;
  }

  function feedItem(item) {
    var li = template.content.firstElementChild.cloneNode(true);
    li.className = "feed-item mod-" + item.module + (item.urgent ? " urgent" : "") + " new";
    li.setAttribute("data-id", item.id);
    li.setAttribute("data-at", item.at);
    li.setAttribute("data-kind", item.kind);
    var at = new Date(item.at), time = li.querySelector("time");
    time.setAttribute("datetime", item.at);
    time.textContent = dayMonthTime(at);
    li.querySelector(".feed-mod").textContent = item.module_label;
    li.querySelector(".feed-unit").textContent = item.unit;
    var text = li.querySelector(".feed-text");
    if (item.url) {
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.text;
      text.appendChild(a);
    } else {
      text.textContent = item.text;
    }
    return li;
  }

  function showFeed(data) {
    if (!feed) { return; }
    var items = data.items.slice().reverse();  // oldest first, each put on top
    items.forEach(function (item) {
      if (feed.querySelector('[data-id="' + item.id + '"]')) { return; }
      var li = feedItem(item), at = new Date(item.at), before = null;
      feed.querySelectorAll(".feed-item").forEach(function (el) {
        if (!before && new Date(el.getAttribute("data-at")) <= at) { before = el; }
      });
      feed.insertBefore(li, before);
    });
    var all = feed.querySelectorAll(".feed-item");
    for (var i = feedMax; i < all.length; i++) { all[i].remove(); }
    if (feedEmpty) { feedEmpty.hidden = all.length > 0; }
  }

  function setState(ok) {
    status.setAttribute("data-state", ok ? "ok" : "error");
    error.hidden = ok;
  }

  function feedQuery() {
    // A little overlap: an alert committed late with an earlier time is still caught (items are told apart by id).
    var newest = newestTime(), since = newest ? new Date(newest.getTime() - 120000) : null;
    return feedUrl + "?limit=" + feedMax + (since ? "&since=" + encodeURIComponent(since.toISOString()) : "");
  }

  var poll = window.lachanPoll({
    every: period / 1000,
    url: function () { return [summaryUrl, feedQuery()]; },
    onData: function (results) {
      showSummary(results[0]);
      showFeed(results[1]);
      var at = new Date(results[0].generated_at);
      updated.textContent = hms(at);
      updated.setAttribute("datetime", results[0].generated_at);
      status.setAttribute("data-refreshes", String((parseInt(status.getAttribute("data-refreshes"), 10) || 0) + 1));
      setState(true);
    },
    onError: function () { setState(false); }
  });

  if (clock) {
    setInterval(function () {
      clock.textContent = fullTime(new Date());
    }, 1000);
  }
  window.lachanDashboard = {refresh: function () { return poll.refresh(false); }};
})();

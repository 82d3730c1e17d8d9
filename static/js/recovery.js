// A recovery job's page keeps its figures fresh while the job is queued or
// running: every second it fetches the page again and swaps in the part
// that changes (#recovery-live). It stops when the job ends; without
// JavaScript the page shows the figures as of loading.
(function () {
  "use strict";
  var live = document.getElementById("recovery-live");
  if (!live) { return; }
  function running(el) {
    var status = el.dataset.recoveryLive;
    return status === "queued" || status === "running";
  }
  var delay = 1000, failures = 0;
  function tick() {
    if (document.hidden) { window.setTimeout(tick, delay); return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (resp) { return resp.ok ? resp.text() : Promise.reject(resp.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("recovery-live");
        if (!fresh) { return; }
        var focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest("#recovery-live [data-testid]") : null;
        var node = document.importNode(fresh, true);
        document.getElementById("recovery-live").replaceWith(node);
        if (window.hookboardEnhance) { window.hookboardEnhance(node); }
        if (focused) {
          var again = node.querySelector("[data-testid='" + focused.dataset.testid + "']");
          if (again) { again.focus(); }
        }
        document.body.dataset.recoveryRefreshes = String(Number(document.body.dataset.recoveryRefreshes || 0) + 1);
        failures = 0;
        if (running(node)) { window.setTimeout(tick, delay); return; }
        var cancel = document.querySelector("[data-testid=cancel-recovery]");
        if (cancel) { cancel.remove(); }
      })
      .catch(function (status) {
        // A refused request (signed out, gone) stops; a network hiccup
        // tries again, less often.
        if (typeof status === "number" && status < 500) { return; }
        failures++;
        if (failures < 10) { window.setTimeout(tick, delay * Math.min(30, Math.pow(2, failures))); }
      });
  }
  if (running(live)) { window.setTimeout(tick, delay); }
})();

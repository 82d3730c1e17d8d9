// Hookboard's small enhancements. Every page works without this file:
// forms post, links navigate, and confirm steps have their own pages.
(function () {
  "use strict";

  function flashButton(button, label) {
    var original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = label;
    window.setTimeout(function () { button.textContent = original; }, 2000);
  }

  function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text);
    }
    return Promise.reject(new Error("clipboard unavailable"));
  }

  // Copy a signing secret: fetched on demand, so it is never in the page.
  document.querySelectorAll("[data-copy-secret]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      fetch(button.dataset.copySecret, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (resp) {
        if (!resp.ok) { throw new Error("HTTP " + resp.status); }
        return resp.json();
      }).then(function (body) {
        return copyText(body.secret);
      }).then(function () {
        flashButton(button, "Copied");
      }).catch(function () {
        flashButton(button, "Copy failed");
      });
    });
  });

  // Copy the text of an element on the page (a payload, a new secret).
  // One listener on the document, so buttons in content that auto-refresh
  // puts in place keep working; enhance shows them.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-target]") : null;
    if (!button) { return; }
    var el = document.querySelector(button.dataset.copyTarget);
    if (!el) { return; }
    copyText(el.textContent).then(function () {
      flashButton(button, "Copied");
    }, function () {
      flashButton(button, "Copy failed");
    });
  });
  window.hookboardEnhance = function (root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (button) { button.hidden = false; });
  };
  window.hookboardEnhance(document);

  // "Copy & close": copy the new secret, then leave the page.
  document.querySelectorAll("[data-copy-close]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var el = document.querySelector(link.dataset.copyClose);
      if (!el) { return; }
      event.preventDefault();
      var go = function () { window.location.assign(link.href); };
      copyText(el.textContent).then(function () {
        link.textContent = "Copied";
        window.setTimeout(go, 300);
      }, go);
    });
  });

  // Confirm dialogs: a native <dialog> asks before a form with data-confirm
  // is sent. Without JavaScript the server shows a confirm page instead.
  var dialog = null;
  function confirmDialog(message, buttonLabel, onConfirm) {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "confirm-dialog";
      dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
      var p = document.createElement("p");
      p.id = "confirm-dialog-text";
      var actions = document.createElement("div");
      actions.className = "form-actions";
      var ok = document.createElement("button");
      ok.type = "button";
      ok.className = "button danger";
      ok.dataset.testid = "confirm-ok";
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "button";
      cancel.dataset.testid = "confirm-cancel";
      cancel.textContent = "Cancel";
      cancel.addEventListener("click", function () { dialog.close(); });
      actions.append(ok, cancel);
      dialog.append(p, actions);
      document.body.append(dialog);
    }
    dialog.querySelector("p").textContent = message;
    var okButton = dialog.querySelector("[data-testid=confirm-ok]");
    var fresh = okButton.cloneNode(false);
    fresh.textContent = buttonLabel;
    fresh.addEventListener("click", function () {
      dialog.close();
      onConfirm();
    });
    okButton.replaceWith(fresh);
    dialog.showModal();
    // Destructive: a stray Enter must cancel, not delete.
    dialog.querySelector("[data-testid=confirm-cancel]").focus();
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.confirmed === "yes") { return; }
      event.preventDefault();
      var message = form.dataset.confirm;
      if (form.dataset.confirmChecked && form.querySelector("input[type=checkbox]:checked")) {
        message = form.dataset.confirmChecked;
      }
      confirmDialog(message, form.dataset.confirmButton || "OK", function () {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "confirm";
        input.value = "yes";
        form.append(input);
        form.dataset.confirmed = "yes";
        form.submit();
      });
    });
  });
})();

// Request/Responses tabs switch without a reload; the links still work
// (and are bookmarkable) without JavaScript. One listener on the document,
// so the tabs keep working after auto-refresh replaces them.
(function () {
  "use strict";
  function showTab(name) {
    document.querySelectorAll("[data-tabs] [data-tab]").forEach(function (l) {
      var on = l.dataset.tab === name;
      l.classList.toggle("active", on);
      if (on) { l.setAttribute("aria-current", "page"); } else { l.removeAttribute("aria-current"); }
    });
    document.querySelectorAll("[data-panel]").forEach(function (panel) {
      panel.hidden = panel.dataset.panel !== name;
    });
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-tabs] [data-tab]") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    showTab(link.dataset.tab);
    history.replaceState(null, "", link.href);
  });

  // Dates say how long ago ("3 min ago"), as the server wrote them; keep
  // the words true while the page stays open. Same wording as the
  // server's templates.RelativeTime.
  function relativeTime(t, now) {
    var d = (now - t) / 1000, future = d < 0;
    if (future) { d = -d; }
    var s;
    if (d < 5) { return future ? "in a moment" : "just now"; }
    if (d < 60) { s = Math.floor(d) + " s"; }
    else if (d < 3600) { s = Math.floor(d / 60) + " min"; }
    else if (d < 86400) { s = Math.floor(d / 3600) + " h"; }
    else if (d < 30 * 86400) { var n = Math.floor(d / 86400); s = n === 1 ? "1 day" : n + " days"; }
    else { return new Date(t).toISOString().slice(0, 10); }
    return future ? "in " + s : s + " ago";
  }
  function freshenTimes() {
    var now = Date.now();
    document.querySelectorAll("time[data-relative][datetime]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(t)) { el.textContent = relativeTime(t, now); }
    });
  }
  window.setInterval(freshenTimes, 15000);

  // Pending and retrying deliveries refresh by themselves: the part of the
  // page marked data-autorefresh is fetched again every few seconds while
  // a delivery in it is pending or has its next attempt within a minute.
  // Once the next attempt is further away it stops (a reload looks again).
  var target = document.querySelector("[data-autorefresh][id]");
  var soon = 60 * 1000;
  function due(root) {
    if (root.querySelector("[data-status=pending]")) { return true; }
    var now = Date.now(), any = false;
    root.querySelectorAll("[data-status=retrying][data-next-at]").forEach(function (el) {
      var at = Date.parse(el.dataset.nextAt);
      if (!isNaN(at) && at - now <= soon) { any = true; }
    });
    return any;
  }
  function state(on) { document.body.dataset.autorefresh = on ? "on" : "off"; }
  if (!target) { return; }
  if (!due(target)) { state(false); return; }
  state(true);
  var timer = window.setInterval(function () {
    if (document.hidden) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (resp) { return resp.ok ? resp.text() : Promise.reject(resp.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById(target.id);
        if (!fresh) { return; }
        var activeTab = document.querySelector("[data-tabs] [data-tab].active");
        var focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.testid : "";
        var node = document.importNode(fresh, true);
        document.getElementById(target.id).replaceWith(node);
        window.hookboardEnhance(node);
        if (activeTab) { showTab(activeTab.dataset.tab); }
        if (focused) {
          var again = node.querySelector("[data-testid='" + focused + "']");
          if (again) { again.focus(); }
        }
        document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
        if (!due(node)) { window.clearInterval(timer); state(false); }
      })
      .catch(function () { window.clearInterval(timer); state(false); });
  }, 4000);
})();

// "All events" and single event types are exclusive (the server refuses
// both): choosing one unchecks the other.
(function () {
  document.querySelectorAll("input[type=checkbox][name=events]").forEach(function (box) {
    box.addEventListener("change", function () {
      if (!box.checked) { return; }
      document.querySelectorAll("input[type=checkbox][name=events]").forEach(function (other) {
        if (other !== box && (box.value === "*" || other.value === "*")) { other.checked = false; }
      });
    });
  });
})();

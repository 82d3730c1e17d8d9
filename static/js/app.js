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
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var el = document.querySelector(button.dataset.copyTarget);
      if (!el) { return; }
      copyText(el.textContent).then(function () {
        flashButton(button, "Copied");
      }, function () {
        flashButton(button, "Copy failed");
      });
    });
  });

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
// (and are bookmarkable) without JavaScript.
(function () {
  "use strict";
  document.querySelectorAll("[data-tabs]").forEach(function (nav) {
    var links = nav.querySelectorAll("[data-tab]");
    links.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var name = link.dataset.tab;
        links.forEach(function (l) {
          var on = l === link;
          l.classList.toggle("active", on);
          if (on) { l.setAttribute("aria-current", "true"); } else { l.removeAttribute("aria-current"); }
        });
        document.querySelectorAll("[data-panel]").forEach(function (panel) {
          panel.hidden = panel.dataset.panel !== name;
        });
        history.replaceState(null, "", link.href);
      });
    });
  });

  // Pending and retrying deliveries refresh by themselves: the part of the
  // page marked data-autorefresh is fetched again every few seconds while it
  // shows one.
  var target = document.querySelector("[data-autorefresh][id]");
  function unsettled(root) {
    return root.querySelector("[data-status=pending], [data-status=retrying]") !== null;
  }
  if (!target || !unsettled(target)) { return; }
  var timer = window.setInterval(function () {
    if (document.hidden) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (resp) { return resp.ok ? resp.text() : Promise.reject(resp.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById(target.id);
        if (!fresh) { return; }
        var current = document.getElementById(target.id);
        var activeTab = document.querySelector("[data-tab].active");
        current.replaceWith(document.importNode(fresh, true));
        if (activeTab) {
          document.querySelectorAll("[data-panel]").forEach(function (panel) {
            panel.hidden = panel.dataset.panel !== activeTab.dataset.tab;
          });
        }
        if (!unsettled(document.getElementById(target.id))) { window.clearInterval(timer); }
      })
      .catch(function () { window.clearInterval(timer); });
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

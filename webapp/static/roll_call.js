// The roll-call console: poll the JSON state and update each site's line; marks are sent with
// fetch so the page never reloads (without JavaScript the forms post and come back).
(function () {
  "use strict";
  var list = document.getElementById("roll-call");
  if (!list) return;
  var url = list.dataset.url, every = (parseInt(list.dataset.poll, 10) || 5) * 1000;
  var status = document.getElementById("roll-call-status");
  var pressed = null;

  function render(state) {
    Object.keys(state.counts).forEach(function (code) {
      var el = document.querySelector('[data-count="' + code + '"]');
      if (el) el.textContent = state.counts[code];
    });
    state.sites.forEach(function (site) {
      var item = list.querySelector('[data-unit="' + CSS.escape(site.unit) + '"]');
      if (!item) return;
      item.dataset.state = site.state;
      item.querySelector('[data-role="label"]').textContent = site.label;
      item.querySelector('[data-role="reason"]').textContent = site.reason || "";
      item.querySelector('[data-role="marked"]').textContent =
        site.marked_at ? site.marked_at + " · " + (site.marked_by || "") : "";
    });
    if (status) status.textContent = new Date().toLocaleTimeString();
  }

  function poll() {
    fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) render(state); })
      .catch(function () {})
      .then(function () { setTimeout(poll, every); });
  }

  list.addEventListener("click", function (event) {
    if (event.target.matches("button[name=state]")) pressed = event.target;
  });
  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("mark-form")) return;
    event.preventDefault();
    var data = new FormData(form);
    if (pressed && form.contains(pressed)) data.set("state", pressed.value);
    fetch(form.action, {method: "POST", body: data, credentials: "same-origin",
                        headers: {Accept: "application/json"}})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (answer) {
        if (answer.ok) { render(answer.body); form.querySelector("[name=reason]").value = ""; }
        else if (status) {
          var details = answer.body.error.details || {};
          status.textContent = [answer.body.error.message].concat(
            Object.keys(details).map(function (k) { return details[k].join(" "); })).join(" ");
        }
      })
      .catch(function () {});
  });
  setTimeout(poll, every);
})();

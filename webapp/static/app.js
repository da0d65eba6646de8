// Small progressive enhancements; the pages work without them.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.querySelector(button.dataset.copy);
  if (!input) return;
  input.select();
  const done = () => { button.textContent = "✓"; };
  if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, done);
  else { document.execCommand("copy"); done(); }
});

// The registry tree: a district's communes are fetched when its <details> first opens.
document.addEventListener("toggle", (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open || !details.dataset.fragment) return;
  const slot = details.querySelector("[data-fragment-slot]");
  if (!slot || details.dataset.loaded) return;
  details.dataset.loaded = "1";
  fetch(details.dataset.fragment, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
    .then((html) => {
      const box = document.createElement("div");
      box.innerHTML = html;
      slot.replaceWith(...box.childNodes);
    })
    .catch(() => { delete details.dataset.loaded; });
}, true);

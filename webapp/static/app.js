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

// The menu: on narrow screens it folds behind its button (without JavaScript it stays a visible list).
(() => {
  const button = document.querySelector("[data-nav-toggle]");
  const menu = document.querySelector("[data-nav-menu]");
  if (!button || !menu) return;
  menu.classList.add("collapse");
  button.hidden = false;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("show", open);
  });
})();

// The participant picker: search without accents, group boxes that tick their members, the count.
// Without JavaScript the tree of checkboxes works as it is and the group boxes send their selector.
const searchKey = (text) => text.normalize("NFD").toLowerCase().replace(/\p{Mn}/gu, "")
  .replace(/[đð]/g, "d").replace(/\s+/g, " ").trim();

document.querySelectorAll("[data-picker]").forEach((picker) => {
  const units = [...picker.querySelectorAll("input[name=units]")];
  const toggles = [...picker.querySelectorAll("[data-picker-group], [data-picker-communes-of]")];
  const count = picker.querySelector("[data-picker-count]");
  const members = (toggle) => {
    if (toggle.dataset.pickerGroup) {
      const levels = toggle.dataset.pickerGroup.split(" ");
      return units.filter((u) => levels.includes(u.dataset.level));
    }
    return units.filter((u) => u.dataset.level === "commune" && u.dataset.district === toggle.dataset.pickerCommunesOf);
  };
  const sync = () => {
    toggles.forEach((t) => {
      const m = members(t);
      const on = m.filter((u) => u.checked).length;
      t.checked = m.length > 0 && on === m.length;
      t.indeterminate = on > 0 && on < m.length;
    });
    picker.querySelectorAll("details[data-picker-district]").forEach((d) => {
      const boxes = [...d.querySelectorAll("input[name=units]")];
      const tally = d.querySelector("[data-picker-tally]");
      if (tally) tally.textContent = `(${boxes.filter((u) => u.checked).length}/${boxes.length})`;
    });
    const n = new Set(units.filter((u) => u.checked).map((u) => u.value)).size;
    if (count) count.textContent = (n === 1 ? count.dataset.one : count.dataset.many).replace(/\d+/, n);
  };
  picker.addEventListener("change", (event) => {
    const t = event.target;
    if (toggles.includes(t)) members(t).forEach((u) => { u.checked = t.checked; });
    sync();
  });
  const box = picker.querySelector("[data-picker-search-box]");
  const search = picker.querySelector("[data-picker-search]");
  const none = picker.querySelector("[data-picker-none]");
  if (box && search) {
    box.hidden = false;
    search.addEventListener("input", () => {
      const q = searchKey(search.value);
      let any = false;
      picker.querySelectorAll("[data-picker-tree] details").forEach((d) => {
        let hits = 0;
        d.querySelectorAll(".picker-row").forEach((row) => {
          const hit = !q || (row.dataset.search || "").includes(q);
          row.toggleAttribute("data-picker-hidden", !hit);
          if (hit) hits += 1;
        });
        d.toggleAttribute("data-picker-hidden", q !== "" && hits === 0);
        if (q && hits) d.open = true;
        any = any || hits > 0;
      });
      if (none) none.hidden = any || !q;
    });
  }
  // Enter in the search box must not submit the booking form.
  if (search) search.addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
  sync();
});

// A table that scrolls inside its box must be reachable from the keyboard to scroll it.
const focusableScrollers = () => document.querySelectorAll(".table-responsive, .table-wrap").forEach((box) => {
  if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
  else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
});
focusableScrollers();
window.addEventListener("resize", focusableScrollers);

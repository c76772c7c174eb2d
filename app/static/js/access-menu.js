// Loaded in <head> without `defer`: the `js` class must be set before the first paint, or a
// phone would show the whole menu open and then snap it shut. Without this script the menu
// simply stays open (see app.css).
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".menu-toggle");
  const header = document.querySelector(".site-header");
  const row = header && header.querySelector(".header-inner");
  if (!button || !row) return;
  const isOpen = () => button.getAttribute("aria-expanded") === "true";
  const setOpen = (open) => button.setAttribute("aria-expanded", String(open));
  // One row of the header is 64px high; taller means the menu wrapped (long names, many roles).
  const ONE_ROW = 72;
  const fit = () => {
    setOpen(false);
    header.classList.remove("is-collapsed");
    header.classList.toggle("is-collapsed", row.getBoundingClientRect().height > ONE_ROW);
  };
  fit();
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (window.innerWidth !== width) {  // a phone's bar sliding in changes only the height
      width = window.innerWidth;
      fit();
    }
  });
  button.addEventListener("click", () => setOpen(!isOpen()));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen()) {
      setOpen(false);
      button.focus();
    }
  });
});

// A button marked data-print prints the page (print.css keeps only the content).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

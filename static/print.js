// The "Print" button of the printable pages (inline handlers are not allowed by the CSP).
// Without JavaScript the button stays hidden: the browser's own Print works the same.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

// Attendance page: "All present" fills every participant's choice with "present" without
// sending, so single marks can still be changed before saving. Without JavaScript the
// button saves everyone as present at once.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-all-present]");
  if (!button) return;
  button.addEventListener("click", (event) => {
    event.preventDefault();
    for (const radio of document.querySelectorAll('form.attendance input[type=radio][value="present"]')) {
      radio.checked = true;
    }
  });
});

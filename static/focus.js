// Moves the focus to the part of a page that answers what was just sent (a form's error
// summary, a registration's confirmation), for browsers that ignore `autofocus` there.
// The pages work without it: the form's address ends in #register, which scrolls there.
(function () {
  var target = document.querySelector("[data-focus]");
  if (target && document.activeElement !== target) {
    target.focus();
    target.scrollIntoView({ block: "start" });
  }
})();

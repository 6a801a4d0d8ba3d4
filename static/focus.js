// Moves the focus to the part of a page that answers what was just sent (a form's error
// summary, a registration's confirmation), for browsers that ignore `autofocus` there.
// The pages work without it: the form's address ends in #register, which scrolls there.
// The browser handles that #register after this script has run and moves the focus to
// the (focusable) heading, so the focus is set again once the page has loaded, unless
// the person has already moved it somewhere else.
(function () {
  var target = document.querySelector("[data-focus]");
  if (!target) {
    return;
  }
  function focusTarget() {
    var active = document.activeElement;
    var fragment = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    if (active === target) {
      return;
    }
    if (active && active !== document.body && active !== fragment) {
      return;
    }
    target.focus();
    target.scrollIntoView({ block: "start" });
  }
  focusTarget();
  window.addEventListener("load", function () {
    window.setTimeout(focusTarget, 0);
  });
})();

/* Present mode: number keys 1 to 9 pick a shortlisted scenario; the arrow keys and a
 * presentation clicker's Page Up / Page Down step between them. Each key clicks the
 * scenario's button, so the mouse, the keyboard and a clicker all take the same path. */
document.addEventListener("keydown", function (event) {
  var bar = document.querySelector(".present-bar");
  if (!bar || event.altKey || event.ctrlKey || event.metaKey) { return; }
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
  var buttons = Array.prototype.slice.call(bar.querySelectorAll(".present-scenario-button"));
  if (buttons.length === 0) { return; }
  var current = buttons.findIndex(function (b) { return b.getAttribute("aria-pressed") === "true"; });
  var next = null;
  if (/^[1-9]$/.test(event.key)) {
    next = Number(event.key) - 1;
  } else if (event.key === "ArrowRight" || event.key === "PageDown") {
    next = Math.min(current + 1, buttons.length - 1);
  } else if (event.key === "ArrowLeft" || event.key === "PageUp") {
    next = Math.max(current - 1, 0);
  }
  if (next === null || next >= buttons.length || next === current) { return; }
  event.preventDefault();
  buttons[next].click();
});

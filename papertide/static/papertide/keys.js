// Keyboard navigation on every list of papers (li.paper rows: the paper_row tag):
//   j / k      next / previous paper (a visible focus, scrolled into view)
//   o, Enter   open the paper
//   u          upvote it (its upvote button, where the list has one)
//   s          save it (its save button)
//   ?          this help; Esc closes it
// Keys typed into a field, or with Ctrl, Alt or Meta held, are left alone. u and s click the row's own
// buttons, so they go through the same forms and scripts as a click (upvote.js, library.js).
(() => {
  const help = () => document.getElementById("keys-help");

  function rows() {
    return [...document.querySelectorAll("ol.papers > li.paper")].filter((li) => li.offsetParent !== null);
  }

  function current() {
    return document.querySelector("li.paper.key-current");
  }

  function select(row) {
    const was = current();
    if (was) was.classList.remove("key-current");
    row.classList.add("key-current");
    if (!row.hasAttribute("tabindex")) row.setAttribute("tabindex", "-1");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const at = all.indexOf(current());
    const next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    select(all[next]);
  }

  function press(selector) {
    const row = current();
    const button = row && row.querySelector(selector);
    if (button) button.click();
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])") !== null;
  }

  function toggleHelp() {
    const dialog = help();
    if (!dialog) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (typing(event.target)) return;
    const dialog = help();
    if (dialog && dialog.open) {
      if (event.key === "?") {
        event.preventDefault();
        dialog.close();
      }
      return; // Esc closes the dialog by itself
    }
    const onRow = event.target instanceof Element && event.target.matches("li.paper");
    switch (event.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "o":
        press("a.title");
        break;
      case "Enter":
        if (!onRow) return; // on a link or button, Enter does what it always does
        press("a.title");
        break;
      case "u":
        press("form.upvote button");
        break;
      case "s":
        press("form.save button");
        break;
      case "?":
        toggleHelp();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // A click in a row makes it the current one, so j/k go on from where the reader is.
  document.addEventListener("click", (event) => {
    const row = event.target instanceof Element && event.target.closest("ol.papers > li.paper");
    if (row && !row.classList.contains("key-current")) {
      const was = current();
      if (was) was.classList.remove("key-current");
      row.classList.add("key-current");
    }
    const opener = event.target instanceof Element && event.target.closest("a.keys-help-link");
    if (opener && help()) {
      event.preventDefault();
      toggleHelp();
    }
  });
})();

// Copy a citation: a button[data-copy] copies the text of the element whose id it names. Where the
// clipboard cannot be written (an older browser, a page not served over HTTPS, a refused permission),
// the text is selected instead, for Ctrl+C. Without this script the buttons stay hidden and the text is
// there to select by hand, with the downloads beside it.
for (const button of document.querySelectorAll("button[data-copy]")) button.hidden = false;

function say(button, message) {
  const status = button.parentElement.querySelector(".copy-status");
  if (status) status.textContent = message;
}

function select(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const box = document.getElementById(button.dataset.copy);
  if (!box) return;
  try {
    await navigator.clipboard.writeText(box.textContent);
    say(button, "Copied.");
  } catch {
    select(box);
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    say(button, copied ? "Copied." : "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
  }
});

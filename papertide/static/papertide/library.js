// Save, take out, mark read and choose collections without reloading the page: every form still works
// without this script (a POST, then back to the page).
function showState(form, on) {
  const button = form.querySelector("button");
  button.textContent = on ? button.dataset.on : button.dataset.off;
  button.classList.toggle("on", on);
  button.setAttribute("aria-pressed", String(on));
  form.querySelector("input[name=saved], input[name=read]").value = on ? "0" : "1";
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.save, form.read-mark, form.save-to");
  if (!form || form.method !== "post") return;  // signed out: the form leads to log-in
  event.preventDefault();
  const response = await fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && data.login) {
    window.location.href = data.login;
    return;
  }
  if (!response.ok) {
    form.querySelector("button").title = data.error || "not done: try again";
    return;
  }
  const paper = CSS.escape(data.paper);
  if (form.matches("form.save-to")) form.outerHTML = data.html;  // the collections as they are now
  if ("saved" in data) {  // every save button of this paper on the page
    document.querySelectorAll(`form.save[data-paper="${paper}"]`).forEach((f) => showState(f, data.saved));
  }
  if ("read" in data) {
    document.querySelectorAll(`form.read-mark[data-paper="${paper}"]`).forEach((f) => showState(f, data.read));
  }
});

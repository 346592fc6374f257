// "More like this" / "Less like this" without reloading: the forms still work without this script (POST,
// then back to the page). The pressed button shows the rating; pressing it again undoes it. On the sharpen
// page the answered row gives way to the next question, fetched as an HTML fragment.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.rate");
  if (!form) return;
  event.preventDefault();
  const body = new FormData(form);
  if (event.submitter && event.submitter.name) body.set(event.submitter.name, event.submitter.value);
  const response = await fetch(form.action, {
    method: "POST",
    body,
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (response.redirected) {
    window.location.href = response.url; // signed out meanwhile: the log-in page
    return;
  }
  if (!response.ok) return;
  const data = await response.json();
  for (const [name, value] of [["more", 1], ["less", -1]]) {
    const button = form.querySelector(`button.${name}`);
    const on = data.value === value;
    button.setAttribute("aria-pressed", String(on));
    button.value = on ? "0" : String(value);
  }
  form.dataset.rated = String(data.value);
  for (const count of document.querySelectorAll(`[data-ratings-of="${data.interest}"]`)) {
    count.textContent = data.ratings;
  }
  const row = form.closest("li.sharpen-row");
  const list = row && row.closest("ol[data-next]");
  if (!list || data.value === 0) return;
  const shown = [...list.querySelectorAll("li.sharpen-row")]
    .filter((li) => li !== row)
    .map((li) => li.dataset.paper);
  const next = await fetch(`${list.dataset.next}?shown=${encodeURIComponent(shown.join(","))}`, {
    credentials: "same-origin",
  });
  if (next.status === 200) row.outerHTML = await next.text();
  else row.remove();
});

// Upvote without reloading the page: the form still works without this script.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.upvote");
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
  const button = form.querySelector("button");
  if (!response.ok) {  // a limit reached (429) says when to try again
    button.title = data.error || "not done: try again";
    return;
  }
  button.querySelector(".count").textContent = data.upvotes;
  button.classList.toggle("voted", data.voted);
  button.setAttribute("aria-pressed", String(data.voted));
  form.querySelector("input[name=vote]").value = data.voted ? "0" : "1";
  // The paper page spells the count out beside the button: it follows too.
  const split = form.parentElement.querySelector(".vote-split");
  if (split) {
    split.querySelector(".upvotes").textContent = data.upvotes;
    split.querySelector(".local").textContent = data.votes;
    split.querySelector(".upvotes-word").textContent = data.upvotes === 1 ? "upvote" : "upvotes";
  }
});

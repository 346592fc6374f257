// The digest form proposes the browser's time zone: a fresh form's time-zone field (data-browser-zone)
// is set to the zone the browser reports, when the list has it. Without this script the server's
// default stays; a form sent back with errors keeps what the reader chose.
document.addEventListener("DOMContentLoaded", () => {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  for (const select of document.querySelectorAll("select[data-browser-zone]")) {
    const untouched = select.selectedOptions.length === 1 && select.selectedOptions[0].defaultSelected;
    const option = Array.from(select.options).find((o) => o.value === zone);
    if (untouched && option) select.value = zone;
  }
});

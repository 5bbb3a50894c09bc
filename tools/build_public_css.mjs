// Builds the public pages' Bootstrap: only the rules their markup can use.
//
// Bootstrap's full CSS is 233 KB, render-blocking, and ~94 % unused on the
// citizen pages; this subset is what they load. Run `make css` after using a
// Bootstrap class the pages did not use before (helpdesk/tests/test_css.py
// fails while the committed file differs from a fresh build).
//
// Content scanned: every template the public layout renders, the Python that
// puts classes into markup (form widgets, the trend chart), and
// crispy-bootstrap5's templates for a plain form. Classes built at run time from a value
// (`alert-{{ level }}`, `text-bg-{{ tone }}`) are kept by the safelist.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PurgeCSS } from "purgecss";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [crispy, out] = process.argv.slice(2);
if (!crispy || !out) {
  console.error("usage: node tools/build_public_css.mjs <crispy_bootstrap5 templates dir> <output.css>");
  process.exit(2);
}
const source = path.join(root, "static/vendor/bootstrap/css/bootstrap.min.css");
const content = [
  "templates/**/*.html",
  "dispatch/templates/dispatch/**/*.html",
  "board/templates/board/**/*.html",
  "board/**/*.py",
  "requests_app/**/*.py",
  "dispatch/public_views.py",
  "dispatch/stats.py",
  "static/js/*.js",
].map((p) => path.join(root, p));
// Only the crispy templates a plain form renders (not its tabs, modals, accordions).
for (const name of ["uni_form", "whole_uni_form", "display_form", "errors", "field"]) {
  content.push(path.join(crispy, "bootstrap5", `${name}.html`));
}
for (const name of ["help_text_and_errors", "field_errors_block", "field_errors", "help_text", "radio_checkbox_select", "attrs", "field_file", "baseinput"]) {
  content.push(path.join(crispy, "bootstrap5", "layout", `${name}.html`));
}

const [result] = await new PurgeCSS().purge({
  content,
  css: [source],
  safelist: {
    standard: [/^alert-/, /^text-bg-/],
  },
  // Custom properties no kept rule reads are dropped too.
  variables: true,
  keyframes: true,
  fontFace: true,
});
const version = readFileSync(path.join(root, "static/vendor/bootstrap/VERSION"), "utf8").split("\n")[0];
const banner = `/*! ${version}: the subset the public pages use, built by tools/build_public_css.mjs (make css). Do not edit. */\n`;
writeFileSync(out, banner + result.css.replace(/\/\*# sourceMappingURL=.*?\*\//g, "").trim() + "\n");

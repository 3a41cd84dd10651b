"""What a form asks for, read the way a person reads it: its controls by role, name, kind and whether required.

`inventory` lists the page's visible controls (never their values) and marks each with an attribute of ours, so a
control found here can be filled later. `assign` finds each field the flow wants: by its label in any language
first, else by what it is on the form (the form's only select, only e-mail input, only text area), and never by
guessing between two candidates. `snapshot` is what a user can share when a page was not understood: the page's
headings, links, buttons and controls by role and name, with no value typed into any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from automation.steps import FillForm, FormField
from automation.wording import Wording

MARK = "data-submit-objections-control"

_JS_HELPERS = r"""
const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== 'hidden';
const squash = s => (s || '').replace(/\s+/g, ' ').trim();
const textOf = el => squash(el.innerText || el.textContent).slice(0, 300);
const nameOf = el => {
  const parts = [];
  const aria = el.getAttribute('aria-label');
  if (aria) parts.push(aria);
  for (const id of (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)) {
    const byId = document.getElementById(id);
    if (byId) parts.push(byId.innerText || byId.textContent);
  }
  for (const lab of (el.labels || [])) parts.push(lab.innerText || lab.textContent);
  if (!parts.length && el.getAttribute('placeholder')) parts.push(el.getAttribute('placeholder'));
  if (!parts.length && el.getAttribute('title')) parts.push(el.getAttribute('title'));
  if (!parts.length) {  // a label drawn as plain text just before the control
    let before = el.previousElementSibling || (el.parentElement && el.parentElement.previousElementSibling);
    if (before) parts.push(before.innerText || before.textContent);
  }
  return squash(parts.join(' ')).slice(0, 300);
};
const groupOf = el => {
  const set = el.closest('fieldset');
  const legend = set && set.querySelector('legend');
  const group = el.closest('[role=radiogroup],[role=group]');
  return squash((legend && legend.innerText) || (group && (group.getAttribute('aria-label') || '')) || '').slice(0, 300);
};
const CONTROLS = 'input, select, textarea, [contenteditable=true], [role=combobox], [role=textbox]';
const controls = () => Array.from(document.querySelectorAll(CONTROLS)).filter(el => {
  const type = (el.getAttribute('type') || '').toLowerCase();
  return !['hidden', 'submit', 'button', 'reset', 'image'].includes(type) && visible(el);
});
const describeControl = (el, index) => {
  const tag = el.tagName.toLowerCase();
  const type = tag === 'input' ? ((el.getAttribute('type') || 'text').toLowerCase()) : tag;
  return {
    index, tag, type, role: el.getAttribute('role') || '', name: nameOf(el), group: groupOf(el),
    required: !!el.required || el.getAttribute('aria-required') === 'true',
    checked: !!el.checked, answered: tag === 'select' ? el.selectedIndex > 0 : !!(el.value || el.checked),
  };
};
"""

INVENTORY_JS = "() => {" + _JS_HELPERS + f"""
  return controls().map((el, index) => {{
    el.setAttribute('{MARK}', String(index));
    const described = describeControl(el, index);
    // A list's choices come along: choosing one then takes no other trip to the page.
    if (el.tagName === 'SELECT') described.options = Array.from(el.options).map(
        o => ({{label: (o.label || o.text).trim(), value: o.value}}));
    return described; }});
}}"""

SNAPSHOT_JS = "() => {" + _JS_HELPERS + r"""
  const path = href => { try { const u = new URL(href, location.href); return u.host + u.pathname; } catch (e) { return ''; } };
  const all = (selector) => Array.from(document.querySelectorAll(selector)).filter(visible).slice(0, 200);
  return {
    url: location.host + location.pathname,
    title: squash(document.title),
    language: document.documentElement.lang || '',
    headings: all('h1,h2,h3,h4,h5,h6,[role=heading]').map(textOf),
    messages: all('[role=alert],[role=status],[aria-live]').map(textOf),
    links: all('a[href],[role=link]').map(el => ({name: squash(el.getAttribute('aria-label')) || textOf(el),
                                                   to: el.href ? path(el.href) : ''})),
    buttons: all('button,[role=button],input[type=submit],input[type=button]').map(
        el => squash(el.getAttribute('aria-label')) || textOf(el) || squash(el.value)),
    controls: controls().slice(0, 200).map((el, i) => { const {answered, checked, ...rest} = describeControl(el, i); return rest; }),
  };
}"""

# A control's kind, as the fallback by structure sees it.
_STRUCTURES = {"select": "select", "textarea": "textarea", "email": "email", "radio": "choice", "checkbox": "choice",
               "file": "file"}


@dataclass
class Control:
    index: int
    tag: str
    type: str
    role: str
    name: str
    group: str
    required: bool
    checked: bool
    answered: bool
    options: list[dict] | None = None  # a <select>'s choices: label and value of each

    @property
    def structure(self) -> str:
        if self.role == "combobox":
            return "select"
        return _STRUCTURES.get(self.type, "textarea" if self.role == "textbox" else "text")

    @property
    def selector(self) -> str:
        return f"[{MARK}='{self.index}']"

    def described(self) -> str:
        kind = {"choice": self.type, "text": "text field"}.get(self.structure, self.structure.replace("textarea", "text area"))
        return f'{kind} "{self.name or self.group or "(no name)"}"'


@dataclass
class Assignment:
    """Which control fills which field, how each was found, and why the form cannot be filled (if it cannot)."""

    controls: dict[str, Control] = field(default_factory=dict)
    found_by: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


def _label_matches(wording: Wording, key: str, control: Control, language: str | None) -> str | None:
    """The language whose phrasing of `key` the control's name matches: the page's language first."""
    name = control.name or control.group
    if not name:
        return None
    for pattern in wording.patterns(key, language):
        if pattern.search(name):
            return wording.language_of(key, name, first=language) or "?"
    return None


def _fits(wanted: FormField, control: Control, by_label: bool) -> bool:
    if wanted.structure == "select":
        return control.structure == "select"
    if wanted.structure == "email":
        return control.structure == "email" or (by_label and control.structure == "text")
    if wanted.structure == "text":
        return control.structure == "text" and control.type not in ("password",)
    return control.structure == "textarea" or (by_label and control.structure == "text")


def is_required(control: Control, wording: Wording, step: FillForm) -> bool:
    if control.required:
        return True
    text = control.name or control.group
    marked = bool(step.required_marker and wording.matches(step.required_marker, text))
    return marked and not (step.optional_marker and wording.matches(step.optional_marker, text))


def assign(step: FillForm, controls: list[Control], wording: Wording, language: str | None) -> Assignment:
    result = Assignment()
    taken: set[int] = set()
    known = {c.index for c in controls for key in step.known if wording.matches(key, c.name or c.group)}
    for wanted in step.fields:
        by_label = []
        for control in controls:
            if control.index in taken or not _fits(wanted, control, by_label=True):
                continue
            matched = _label_matches(wording, wanted.label, control, language)
            if matched:
                by_label.append((control, matched))
        if len(by_label) > 1:
            names = ", ".join(control.described() for control, _ in by_label)
            result.problem = f"more than one field looks like the {wanted.name} ({names}), and the tool does not guess"
            return result
        if by_label:
            control, matched = by_label[0]
            result.controls[wanted.name] = control
            result.found_by[wanted.name] = f'by its label "{control.name or control.group}" ({matched})'
            taken.add(control.index)
            continue
        kind = {"select": "drop-down list", "email": "e-mail field", "textarea": "text area",
                "text": "text field"}[wanted.structure]
        others = [c for c in controls if c.index not in taken and c.index not in known and _fits(wanted, c, False)]
        if len(others) == 1:
            result.controls[wanted.name] = others[0]
            result.found_by[wanted.name] = f"as the form's only {kind} (its label matched no wording table)"
            taken.add(others[0].index)
        elif wanted.needed:
            result.problem = (f"the form has no field the tool recognises as the {wanted.name}" if not others else
                              f"no label says which of the form's {len(others)} {kind}s is the {wanted.name}, "
                              "and the tool does not guess")
            return result
    later = {c.index for c in controls for key in step.later if wording.matches(key, c.name or c.group)}
    unknown = [c for c in controls if c.index not in taken | later and is_required(c, wording, step)
               and not _answered(c, controls)]
    if unknown:
        result.problem = ("the form asks for something the tool has no value for: "
                          + "; ".join(f"a required {c.described()}" for c in unknown))
    return result


def _answered(control: Control, controls: list[Control]) -> bool:
    """A required radio is answered when one of its group is chosen; a pre-filled field needs no value of ours."""
    if control.type == "radio":
        return any(c.checked for c in controls if c.type == "radio" and c.group == control.group)
    if control.type == "checkbox":
        return control.checked
    return control.answered

"""What a browser would POST: the intake form (intake_post) and any form read from a page
(form_data)."""

import uuid
from html.parser import HTMLParser


def intake_post(victims=None, perps=None, token=None, **case):
    """The POST of the intake form: case fields, victims-N-*, perps-N-* with management forms."""
    data = {
        "intake_token": str(token or uuid.uuid4()),
        "kinds": ["violence"],
        "channel": "walk_in",
        "received_at": "",
        "incident_date": "",
        "incident_place": "household",
        "narrative": "Tetangga mendengar anak-anak menangis setiap malam.",
        "danger_now": "no",
        "injured_needs_care": "no",
        "violence_types": ["physical"],
        "reporter_kind": "other",
        "reporter_relation": "neighbour",
        "save": "1",
    }
    data.update(case)
    victims = (
        victims if victims is not None else [{"full_name": "Nur Aisyah", "estimated_age": "9"}]
    )
    perps = perps if perps is not None else []
    data["victims-TOTAL_FORMS"] = str(max(len(victims), 1))
    data["victims-INITIAL_FORMS"] = "0"
    data["victims-MIN_NUM_FORMS"] = "1"
    data["victims-MAX_NUM_FORMS"] = "1000"
    for i, v in enumerate(victims):
        for k, val in v.items():
            data[f"victims-{i}-{k}"] = val
    data["perps-TOTAL_FORMS"] = str(len(perps))
    data["perps-INITIAL_FORMS"] = "0"
    data["perps-MIN_NUM_FORMS"] = "0"
    data["perps-MAX_NUM_FORMS"] = "1000"
    for i, p in enumerate(perps):
        for k, val in p.items():
            data[f"perps-{i}-{k}"] = val
    return {k: v for k, v in data.items() if v is not None}


class _FormReader(HTMLParser):
    """The fields of the form with class `form_class` as a browser would send them."""

    def __init__(self, form_class):
        super().__init__()
        self.form_class = form_class
        self.inside = False
        self.data = []
        self.select = None
        self.textarea = None
        self.select_first = None
        self.select_chosen = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.form_class in (a.get("class") or ""):
            self.inside = True
        if not self.inside:
            return
        if tag == "input":
            self._input(a)
        elif tag == "select":
            self.select = a.get("name")
            self.select_first = None
            self.select_chosen = False
        elif tag == "option" and self.select:
            self._option(a)
        elif tag == "textarea":
            self.textarea = [a.get("name"), ""]

    def _input(self, a):
        kind = a.get("type", "text")
        if kind in ("submit", "button") or not a.get("name"):
            return
        if kind not in ("checkbox", "radio"):
            self.data.append((a["name"], a.get("value") or ""))
        elif "checked" in a:
            self.data.append((a["name"], a.get("value", "on")))

    def _option(self, a):
        if self.select_first is None:
            self.select_first = a.get("value", "")
        if "selected" in a:
            self.data.append((self.select, a.get("value", "")))
            self.select_chosen = True

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        if tag == "select" and self.select:
            if not self.select_chosen and self.select_first is not None:
                self.data.append((self.select, self.select_first))
            self.select = None
        if tag == "textarea" and self.textarea:
            self.data.append(tuple(self.textarea))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data


def form_data(html, form_class="intake-form"):
    """What a browser would submit from the form in `html` (inputs, checked boxes, selected
    options, textareas), without pressing any named button."""
    reader = _FormReader(form_class)
    reader.feed(html)
    out = {}
    for k, v in reader.data:
        if k in out:
            out[k] = out[k] if isinstance(out[k], list) else [out[k]]
            out[k].append(v)
        else:
            out[k] = v
    if "textarea" in out:
        del out["textarea"]
    return out

"""The Upload step on a tiny local page (a toy site's wording, not Meta's), a one-line text field for FillForm, a
file field a later step fills, and the mirror putting an attached file's bytes back into a form Chromium sends."""

from __future__ import annotations

import hashlib

import pytest

from automation.browser import with_uploads
from automation.runner import FlowFinished
from automation.steps import FillForm, FormField, Upload, label
from automation.wording import Phrasings, Wording
from test_runner_steps import make_runner

FORM = """<form><label for=n>Full name</label><input id=n type=text required>
<label for=c>Your comment</label><textarea id=c required></textarea>
<label for=f>Screenshot of the answer</label><input id=f type=file required></form>"""


@pytest.fixture
def runner(page, tmp_path):
    page.set_content(FORM)
    made = make_runner(page, tmp_path)
    made.job.wording = Wording({"en": {"name": Phrasings(("Full name",)), "comment": Phrasings(("comment",)),
                                       "shot": Phrasings(("Screenshot",))}}, {})
    return made


def test_upload_attaches_the_file_found_by_its_label_and_records_its_size_and_hash(runner, page, tmp_path):
    shot = tmp_path / "answer.png"
    shot.write_bytes(b"\x89PNG not really")
    runner.execute([Upload(target=label("shot"), path=str(shot), record_as="screenshot")])
    assert page.evaluate("document.getElementById('f').files[0].name") == "answer.png"
    assert page.evaluate("document.getElementById('f').files[0].size") == len(shot.read_bytes())
    digest = hashlib.sha256(shot.read_bytes()).hexdigest()
    assert runner.fields["screenshot"] == f"answer.png ({len(shot.read_bytes())} bytes, SHA-256 {digest})"


def test_upload_finds_a_hidden_file_input_behind_a_button_by_its_label(runner, page, tmp_path):
    page.set_content('<label for=f>Add a screenshot</label><input id=f type=file style="display:none">'
                     '<button type=button onclick="document.getElementById(\'f\').click()">Choose file</button>'
                     '<input type=file id=other style="display:none" aria-label="Profile picture">')
    shot = tmp_path / "answer.png"
    shot.write_bytes(b"png")
    runner.execute([Upload(target=label("shot", fallback="file"), path=str(shot))])
    assert page.evaluate("document.getElementById('f').files.length") == 1
    assert page.evaluate("document.getElementById('other').files.length") == 0


def test_upload_of_a_file_gone_since_the_accounts_file_was_read_stops_before_anything_is_sent(runner, tmp_path):
    with pytest.raises(FlowFinished) as stopped:
        runner.execute([Upload(target=label("shot"), path=str(tmp_path / "gone.png"))])
    assert stopped.value.status == "failed"
    assert f"the file to attach, {tmp_path / 'gone.png'}, cannot be read" in stopped.value.reason
    assert "nothing was sent" in stopped.value.reason


def test_fill_form_fills_a_text_field_and_leaves_the_file_field_to_the_later_step(runner, page):
    fields = [FormField(name="full_name", label="name", structure="text", value="Anna Example"),
              FormField(name="comment", label="comment", structure="textarea", value="hello")]
    runner.execute([FillForm(purpose="the toy form", fields=fields, later=["shot"])])
    assert page.input_value("#n") == "Anna Example" and page.input_value("#c") == "hello"


def test_fill_form_without_later_stops_at_the_required_file_field_it_has_no_value_for(runner, page):
    fields = [FormField(name="full_name", label="name", structure="text", value="Anna Example")]
    with pytest.raises(FlowFinished) as stopped:
        runner.execute([FillForm(purpose="the toy form", fields=fields, known=["comment"])])
    assert stopped.value.status == "form_changed" and 'a required file "Screenshot of the answer"' in stopped.value.reason
    assert page.input_value("#n") == ""  # nothing filled


def test_the_mirror_puts_an_attached_files_bytes_back_into_an_empty_file_part():
    boundary = "----WebKitFormBoundaryAbC"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nhi\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="shot"; filename="answer.png"\r\n'
            f'Content-Type: image/png\r\n\r\n\r\n--{boundary}--\r\n').encode()
    data = b"\x89PNG\r\n--not a boundary\r\n"
    filled = with_uploads(body, f"multipart/form-data; boundary={boundary}", {"answer.png": data})
    assert filled == body.replace(b"image/png\r\n\r\n\r\n", b"image/png\r\n\r\n" + data + b"\r\n")
    assert with_uploads(body, f"multipart/form-data; boundary={boundary}", {"other.png": data}) == body
    assert with_uploads(b"a=1", "application/x-www-form-urlencoded", {"answer.png": data}) == b"a=1"

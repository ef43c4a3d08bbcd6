import pytest

from cli.analyst import report_file_name


@pytest.mark.parametrize("name", ["u" * 256, "x" * 255 + "y", "cohort-" + "运动" * 128, "a b" * 85 + "~"])
def test_a_report_for_the_longest_id_can_be_written(tmp_path, name):
    path = tmp_path / report_file_name(name)
    path.write_text("<html></html>")  # an over-long name would raise OSError: File name too long
    assert path.name.endswith(".html") and len(path.name.encode()) <= 255


def test_short_ids_keep_their_name_and_different_ids_never_share_a_file():
    assert report_file_name("u1") == "u1.html"
    assert len({report_file_name(n) for n in ("a b", "a_b", "a/b", "u" * 256, "u" * 255 + "v")}) == 5

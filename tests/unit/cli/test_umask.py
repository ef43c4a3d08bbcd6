import subprocess
import sys


def test_commands_write_their_files_for_their_owner_only(tmp_path):
    # The command sets its own umask, whatever the shell's: dead letters, models, caches and
    # reports it writes are 0600. Run in a child: the umask is the process's.
    code = ("import os, pathlib; os.umask(0o022); from cli.app import main; main(['browser', 'style']); "
            f"pathlib.Path({str(tmp_path / 'out')!r}).write_text('x'); print(oct(os.umask(0o022)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "0o77", out.stderr
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o600

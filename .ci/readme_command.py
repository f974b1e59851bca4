"""Print one of the two commands the README opens with (``demo`` or ``test``)."""

import re
import sys
from pathlib import Path

text = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text(encoding="utf-8")
blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", text, flags=re.S)
commands = [b.strip() for b in blocks[:2]]
which = sys.argv[1] if len(sys.argv) > 1 else "test"
print(commands[0] if which == "demo" else commands[1])

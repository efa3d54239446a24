"""The message catalogue (tests/messages.py) does not rot: every constant is used."""

from __future__ import annotations

import pathlib
import re

import tests.messages as messages

TESTS = pathlib.Path(__file__).parent


def test_every_message_constant_is_used():
    names = {n for n in vars(messages) if n.startswith("MSG_")}
    used: set[str] = set()
    for path in TESTS.rglob("*.py"):
        if path.name != "messages.py":
            used |= set(re.findall(r"\bMSG_[A-Z0-9_]+\b", path.read_text()))
    assert not names - used, (
        f"unused message constants in tests/messages.py: {sorted(names - used)}"
    )


def test_message_constants_are_valid_patterns():
    for name, value in vars(messages).items():
        if name.startswith("MSG_"):
            assert isinstance(value, str) and value, name
            re.compile(value)


def test_no_test_module_keeps_its_own_message_constants():
    own = []
    for path in TESTS.rglob("*.py"):
        if path.name != "messages.py":
            own += [
                f"{path.relative_to(TESTS)}: {m}"
                for m in re.findall(r"^(MSG_[A-Z0-9_]+)\s*=", path.read_text(), re.M)
            ]
    assert not own, f"message constants outside tests/messages.py: {own}"

"""Generate the API reference pages from gradtx's public namespaces at build time.

Run by mkdocs-gen-files. Every public package of gradtx (no underscore in its path)
gets one page, ``reference/<namespace>.md``, with an entry for each public name it
exports; the top level gets ``reference/index.md``. Names that other engineers add
later appear without editing anything here. ``reference/SUMMARY.md`` is the
navigation (mkdocs-literate-nav).
"""

from __future__ import annotations
import __future__

import importlib
import inspect
import pathlib
import pkgutil
import types

import mkdocs_gen_files

import gradtx


def public_namespaces() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(gradtx.__path__, prefix="gradtx."):
        if info.ispkg and not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def public_names(module: types.ModuleType) -> list[str]:
    """Public names in the order the namespace's ``__init__`` imports them (by family)."""
    out = []
    for name in vars(module):
        obj = getattr(module, name)
        if name.startswith("_") or isinstance(obj, (types.ModuleType, __future__._Feature)):
            continue
        out.append(name)
    return out


def summary(module: types.ModuleType) -> str:
    """The namespace's docstring as Markdown (a list needs a blank line before it)."""
    lines, out = (inspect.getdoc(module) or "").strip().splitlines(), []
    for line in lines:
        if (
            line.startswith("- ")
            and out
            and out[-1].strip()
            and not out[-1].lstrip().startswith("- ")
        ):
            if not out[-1].startswith("  "):
                out.append("")
        out.append(line)
    return "\n".join(out)


def write_page(path: str, title: str, module: types.ModuleType) -> int:
    names = public_names(module)
    with mkdocs_gen_files.open(path, "w") as f:
        f.write(f"# `{title}`\n\n")
        if summary(module):
            f.write(summary(module) + "\n\n")
        if not names:
            f.write("This namespace has no public names yet.\n")
        for name in names:
            f.write(f"::: {module.__name__}.{name}\n\n")
    mkdocs_gen_files.set_edit_path(path, "docs/scripts/gen_ref_pages.py")
    return len(names)


nav = ["* [gradtx (top level)](index.md)\n"]
count = write_page("reference/index.md", "gradtx", gradtx)
for ns in public_namespaces():
    short = ns.removeprefix("gradtx.")
    count += write_page(f"reference/{short}.md", ns, importlib.import_module(ns))
    nav.append(f"* [{short}]({short}.md)\n")

with mkdocs_gen_files.open("reference/SUMMARY.md", "w") as f:
    f.writelines(nav)

# Notebooks live in notebooks/ at the repository root; publish them under notebooks/.
for path in sorted(pathlib.Path("notebooks").glob("*.ipynb")):
    with mkdocs_gen_files.open(f"notebooks/{path.name}", "wb") as f:
        f.write(path.read_bytes())
print(f"gen_ref_pages: {count} reference entries from {gradtx.__file__}")

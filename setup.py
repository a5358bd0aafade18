"""Ship the top-level data folders (signatures/, samples_meta/) inside the package as apkscan/_data,
so an installed apkscan finds them without the source tree (see apkscan/datafiles.py)."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA_FOLDERS = ("signatures", "samples_meta")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        for name in DATA_FOLDERS:
            target = Path(self.build_lib) / "apkscan" / "_data" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithData})

#!/usr/bin/env python3
"""make_data_dir.py DEST: a private copy (links) of Wireshark's global data
folder at DEST, without what the plugin installs there (the global
tume_api_messages table, profiles/TU Me), for WIRESHARK_DATA_DIR: a test
then sees Wireshark's own defaults whatever is installed on the machine.
The GUI tests use it; the tshark tests do the same in tshark/common.py."""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tshark.common import make_data_dir, system_data_dir  # noqa: E402

if len(sys.argv) != 2:
    sys.exit(__doc__)
print(make_data_dir(sys.argv[1], system_data_dir(shutil.which("tshark") or "tshark")))

"""Language identification of article text: start reading at `detect_language` in detect.py.

Re-exports the names used from outside the package; modules in this repository import from the
package's modules directly.
"""

from streams.text.language.detect import detect_language
from streams.text.language.models import Detector, load_detector, normalise_code

__all__ = ["Detector", "detect_language", "load_detector", "normalise_code"]

"""Google Ads in the demo: the fictional company's tenant and the API emulator that serves it."""

from auditor.demo.google_ads.company import build
from auditor.demo.google_ads.emulator import create_emulator
from auditor.demo.platforms import register

register("google_ads", order=5, build=build, create_emulator=create_emulator)

"""Colours and sizes shared by every screen.

Every colour meets WCAG 2.1 AA against what it is drawn on: 4.5:1 for text, 3:1 for
pictograms, graphs and large text (at least 24 px bold or 32 px). The pairs in use and
their ratios are checked by tests/kiosk/test_kiosk_contrast.py (a table, and measured on
the scenes' screenshots). Figures in the comments are the ratio against BG / PANEL.
Screens use these names, never colour literals.
"""

WIDTH, HEIGHT = 1280, 800
TOP_BAR = 72
MARGIN = 24
MIN_TARGET = 120

BG = (246, 243, 236)
PANEL = (255, 255, 255)
INK = (34, 40, 49)            # text: 13.4 / 14.8
MUTED = (88, 94, 102)         # secondary text: 5.9 / 6.6 (was 4.3 on BG)
LINE = (220, 214, 204)        # borders and rules only: never text or a pictogram
PRIMARY = (24, 96, 168)       # text and fills: 5.8 / 6.4; white on it 6.4
GOOD = (26, 120, 48)          # text and fills: 5.0 / 5.6; white on it 5.6
BAD = (185, 35, 35)           # text and fills: 5.7 / 6.3; white on it 6.3
WARN = (160, 82, 0)           # "partly missing" text, warning fills: 5.1 / 5.7 (was 2.3)
SUN = (180, 115, 0)           # pictogram: 3.5 / 3.9
CLOUD = (112, 120, 132)       # greyed pictogram: 4.0 / 4.5 (was 2.7 / 3.0)
STAR = (172, 110, 0)          # pictogram, progress: 3.8 / 4.2; 3.1 against STAR_OFF
STAR_OFF = (225, 221, 212)    # an unlit star: the empty place beside the lit ones
SELECTED = (255, 236, 170)    # a chosen button's fill: INK 12.6, PRIMARY 5.4 on it
BAR_BG = (230, 226, 218)      # an empty progress bar
TOP = (34, 40, 49)            # the status bar
TOP_INK = (245, 245, 245)     # text and pictograms on TOP (13.6) and on OFFLINE (5.9)
ONLINE = (90, 200, 120)       # the "online" dot on TOP: 7.0
OFFLINE = (180, 40, 34)       # the status bar when offline

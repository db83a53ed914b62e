"""conc-thumbs --freedesktop, read back by GNOME's own thumbnail factory (GnomeDesktop 3, through
python3-gi): every thumbnail conc-thumbs made is found and accepted by
DesktopThumbnailFactory.lookup() for the file's URI (as GLib writes it) and modification time, in
each size's folder; each failure entry passes desktop_thumbnail_is_valid(); files are 0600 in 0700
folders; a changed file's thumbnail is no longer current, and a run makes it again.

The factory needs no display and no D-Bus session: it reads $XDG_CACHE_HOME/thumbnails itself.

usage: freedesktop_test.py CONC_THUMBS DATA_DIR
"""

import os
import shutil
import stat
import subprocess
import sys
import tempfile

import gi

gi.require_version("GnomeDesktop", "3.0")
gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf, Gio, GnomeDesktop  # noqa: E402
from PIL import Image  # noqa: E402

SIZES = {
    "normal": (GnomeDesktop.DesktopThumbnailSize.NORMAL, 128),
    "large": (GnomeDesktop.DesktopThumbnailSize.LARGE, 256),
    "x-large": (GnomeDesktop.DesktopThumbnailSize.XLARGE, 512),
    "xx-large": (GnomeDesktop.DesktopThumbnailSize.XXLARGE, 1024),
}


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def run(exe, cache, folder):
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    args = [exe, "--no-progress"]
    for size in SIZES:
        args += ["--freedesktop", size]
    done = subprocess.run(args + [folder], env=env, capture_output=True, timeout=600)
    return done.returncode, done.stderr.decode("utf-8", "replace")


def uri_of(path):
    return Gio.File.new_for_path(os.fsencode(path)).get_uri()


def mtime_of(path):
    return int(os.stat(path).st_mtime)


def main():
    exe, data = sys.argv[1], sys.argv[2]
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60).stdout.split()[1]
    work = tempfile.mkdtemp(prefix="conc-freedesktop-")
    try:
        photos = os.path.join(work, "photos")
        cache = os.path.join(work, "cache")
        # GLib reads it once, at the factory's first look: before that.
        os.environ["XDG_CACHE_HOME"] = cache
        os.makedirs(os.path.join(photos, "sub dir"))
        # Names GLib escapes in a URI, one that is not UTF-8, a RAW, a portrait photo.
        good = {
            os.path.join(photos, "plain.jpg"): os.path.join(data, "cameras", "NikonD70.jpg"),
            os.path.join(photos, "sub dir", "a b#;%[x].png"): os.path.join(data, "tbbn0g04.png"),
            os.path.join(photos.encode(), b"caf\xe9.webp").decode("utf-8", "surrogateescape"): os.path.join(
                data, "hopper_orientation_6.webp"
            ),
            os.path.join(photos, "camera.dng"): os.path.join(data, "raw", "canon_eos_6d.dng"),
            os.path.join(photos, "wide.tif"): os.path.join(data, "hopper.Lab.tif"),
        }
        for target, source in good.items():
            shutil.copyfile(source, target)
        # A landscape picture stored with EXIF orientation 6: a portrait photo.
        portrait_path = os.path.join(photos, "portrait.jpg")
        picture = Image.new("RGB", (120, 80), (200, 30, 30))
        exif = Image.Exif()
        exif[0x0112] = 6
        picture.save(portrait_path, exif=exif)
        good[portrait_path] = None
        bad = [os.path.join(photos, "broken.jpg"), os.path.join(photos, "cut.jpg")]
        with open(bad[0], "wb") as f:
            f.write(b"this is no JPEG")
        with open(os.path.join(photos, "plain.jpg"), "rb") as whole, open(bad[1], "wb") as cut:
            cut.write(whole.read()[:600])

        code, err = run(exe, cache, photos)
        if code != 1 or "6 made, 0 skipped, 2 failed" not in err:
            fail("first run: exit %d, %s" % (code, err))

        root = os.path.join(cache, "thumbnails")
        for folder, _, files in os.walk(root):
            if stat.S_IMODE(os.stat(folder).st_mode) != 0o700:
                fail("%s: mode %o, not 0700" % (folder, stat.S_IMODE(os.stat(folder).st_mode)))
            for name in files:
                mode = stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)
                if mode != 0o600:
                    fail("%s: mode %o, not 0600" % (os.path.join(folder, name), mode))

        for name, (size, pixels) in SIZES.items():
            factory = GnomeDesktop.DesktopThumbnailFactory.new(size)
            for path in good:
                found = factory.lookup(uri_of(path), mtime_of(path))
                if found is None:
                    fail("%s: GNOME's %s factory finds no thumbnail for %s" % (path, name, uri_of(path)))
                if os.path.dirname(found) != os.path.join(root, name):
                    fail("%s: found in %s" % (path, found))
                pixbuf = GdkPixbuf.Pixbuf.new_from_file(found)
                if max(pixbuf.get_width(), pixbuf.get_height()) > pixels:
                    fail("%s: %dx%d is larger than %s" % (found, pixbuf.get_width(), pixbuf.get_height(), name))
                if pixbuf.get_option("tEXt::Software") != "conc-thumbs " + version:
                    fail("%s: Software is %r" % (found, pixbuf.get_option("tEXt::Software")))
                if pixbuf.get_option("tEXt::Thumb::Size") != str(os.stat(path).st_size):
                    fail("%s: Thumb::Size is %r" % (found, pixbuf.get_option("tEXt::Thumb::Size")))

        # A portrait photo (EXIF orientation 6) stays portrait in the cache.
        portrait = GnomeDesktop.DesktopThumbnailFactory.new(SIZES["normal"][0]).lookup(
            uri_of(portrait_path), mtime_of(portrait_path)
        )
        shown = GdkPixbuf.Pixbuf.new_from_file(portrait)
        if (shown.get_width(), shown.get_height()) != (80, 120):
            fail("the portrait photo's thumbnail is %dx%d" % (shown.get_width(), shown.get_height()))

        failures = os.path.join(root, "fail", "conc-thumbs-" + version)
        for path in bad:
            uri = uri_of(path)
            entry = GnomeDesktop.desktop_thumbnail_path_for_uri(uri, GnomeDesktop.DesktopThumbnailSize.NORMAL)
            entry = os.path.join(failures, os.path.basename(entry))
            if not os.path.exists(entry):
                fail("%s: no failure entry %s" % (path, entry))
            if not GnomeDesktop.desktop_thumbnail_is_valid(GdkPixbuf.Pixbuf.new_from_file(entry), uri, mtime_of(path)):
                fail("%s: GNOME's validity check refuses the failure entry %s" % (path, entry))

        # Nothing changed: nothing made. One file changed: its thumbnails are stale, then made again.
        code, err = run(exe, cache, photos)
        if "0 made, 6 skipped, 2 failed" not in err:
            fail("second run: %s" % err)
        changed = os.path.join(photos, "plain.jpg")
        os.utime(changed, (mtime_of(changed) + 10, mtime_of(changed) + 10))
        factory = GnomeDesktop.DesktopThumbnailFactory.new(SIZES["large"][0])
        if factory.lookup(uri_of(changed), mtime_of(changed)) is not None:
            fail("a changed file's old thumbnail still passes")
        code, err = run(exe, cache, photos)
        if "1 made, 5 skipped, 2 failed" not in err:
            fail("third run: %s" % err)
        if factory.lookup(uri_of(changed), mtime_of(changed)) is None:
            fail("the changed file's new thumbnail is not found")
        # A failed file that is mended loses its failure entry.
        shutil.copyfile(os.path.join(data, "cameras", "Canon.jpg"), bad[1])
        code, err = run(exe, cache, photos)
        if "1 made" not in err or os.path.exists(
            os.path.join(failures, os.path.basename(GnomeDesktop.desktop_thumbnail_path_for_uri(uri_of(bad[1]), 0)))
        ):
            fail("a mended file keeps its failure entry: %s" % err)
        print("freedesktop: %d thumbnails in %d sizes found by GNOME's factory, %d failure entries valid"
              % (len(good), len(SIZES), len(bad)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

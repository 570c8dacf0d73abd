#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the corrupt IDX data sets of the bad-input corpus (data/<case>/). Each case folder is a
# Fashion-MNIST folder (train/t10k images and labels) with exactly one defect; the good files
# hold 4 images of 2x2 pixels. Run once; the output is kept in the repository.
import gzip, os, shutil, struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def idx(dims, data, magic=None):
    head = magic if magic is not None else bytes([0, 0, 8, len(dims)])
    return head + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


GOOD = {
    "train-images-idx3-ubyte": idx([4, 2, 2], range(16)),
    "train-labels-idx1-ubyte": idx([4], [0, 1, 2, 3]),
    "t10k-images-idx3-ubyte": idx([4, 2, 2], range(16)),
    "t10k-labels-idx1-ubyte": idx([4], [3, 2, 1, 0]),
}


def case(name, file, content=None, gz=False):
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for f, c in GOOD.items():
        if f == file:
            if content is None:
                continue  # the file is missing
            c = content
        path = os.path.join(d, f + (".gz" if gz and f == file else ""))
        with open(path, "wb") as out:
            out.write(c)


TI = "train-images-idx3-ubyte"
TL = "train-labels-idx1-ubyte"
case("idx_missing_file", TL)
case("idx_empty", TI, b"")
case("idx_truncated_header", TI, GOOD[TI][:6])
case("idx_truncated_data", TI, GOOD[TI][:-3])
case("idx_trailing_bytes", TI, GOOD[TI] + b"\0\0")
case("idx_bad_magic", TI, idx([4, 2, 2], range(16), magic=b"\x00\x00\x0d\x03"))
case("idx_png_magic", TI, b"\x89PNG\r\n\x1a\n" + bytes(32))
case("idx_wrong_ndims", TL, idx([4, 1], [0, 1, 2, 3]))
case("idx_zero_dim", TI, idx([4, 0, 2], []))
# 65535^3 bytes announced (2.8e14): must be refused before allocating, naming the size.
case("idx_absurd_size", TI, idx([65535, 65535, 65535], range(16)))
# 2^31 images of 1x1 with 4 bytes present: over no hard limit the reader might have, must be
# found truncated without allocating 2 GB.
case("idx_huge_truncated", TI, idx([1 << 30, 1, 2], range(4)))
case("idx_label_out_of_range", TL, idx([4], [0, 1, 12, 3]))
case("idx_count_mismatch", TL, idx([3], [0, 1, 2]))
case("idx_corrupt_gzip", TI, gzip.compress(GOOD[TI])[:20] + b"garbage-garbage-garbage", gz=True)
case("idx_not_gzip_but_gz_name", TI, b"\x1f\x8b" + b"\xff" * 40, gz=True)
# Test images of 3x3 pixels against training images of 2x2: the network is built for the
# training size, so the test split must be refused, naming its file.
case("idx_split_size_mismatch", "t10k-images-idx3-ubyte", idx([4, 3, 3], range(36)))
# Images larger than the 28x28 inputs a Fashion-MNIST network is sized for.
case("idx_images_too_large", TI, idx([4, 29, 29], bytes(4 * 29 * 29)))

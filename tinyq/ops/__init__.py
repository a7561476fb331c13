"""One module per op; importing this package registers them all (see ops/base.py)."""

from tinyq.ops import (activation, add, avgpool2d, batchnorm, concat, conv2d,  # noqa: F401
                       crop, dwconv2d, hwc_to_chw, identity, linear, maxpool2d, pad, paste,
                       reshape, softmax)
from tinyq.ops.base import (OPS, Buf, CCall, Const, OpDef, RowWindow, aten_table,  # noqa: F401
                            op_of)

"""Graph rewrites on the float IR, one per module, run in this order by the pipeline."""

from tinyq.passes.fix_flatten_order import fix_flatten_order
from tinyq.passes.fold_batchnorm import fold_batchnorm
from tinyq.passes.fold_padding import fold_padding
from tinyq.passes.fuse_activation import fuse_activation
from tinyq.passes.remove_dead import remove_dead

PASSES = (remove_dead, fold_batchnorm, fold_padding, fuse_activation, fix_flatten_order)

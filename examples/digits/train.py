"""Train the bundled example: DigitsCNN on scikit-learn's digits, upsampled to 16 x 16.

scikit-learn ships the 1,797 8x8 digits, so nothing is downloaded. Writes, beside this
file: digits_cnn.pt (torch.save of the whole model), digits_cnn_state.pt (state_dict),
digits_cnn.pt2 (torch.export), calib.npy (200 training images), test_x.npy / test_y.npy
(the held-out 25%, stratified). Deterministic on CPU:

    python examples/digits/train.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from tinyq.zoo.digits import DigitsCNN

HERE = Path(__file__).resolve().parent
SEED = 0
EPOCHS = 40


def images() -> tuple[np.ndarray, np.ndarray]:
    digits = load_digits()
    x = torch.as_tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    x = F.interpolate(x, size=(16, 16), mode="bilinear", align_corners=False)
    return x.numpy(), digits.target.astype(np.int64)


def train(x: np.ndarray, y: np.ndarray) -> DigitsCNN:
    torch.manual_seed(SEED)
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        model.train()
        for idx in torch.randperm(len(xt), generator=gen).split(64):
            # one-pixel random shifts: a little augmentation keeps the net honest
            dx, dy = torch.randint(-1, 2, (2,), generator=gen).tolist()
            batch = torch.roll(xt[idx], shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(batch), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return model.eval()


def main() -> None:
    torch.set_num_threads(2)
    x, y = images()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25,
                                                        random_state=SEED, stratify=y)
    model = train(x_train, y_train)
    with torch.no_grad():
        acc = (model(torch.as_tensor(x_test)).argmax(1).numpy() == y_test).mean()
    print(f"held-out float accuracy: {100 * acc:.2f}% on {len(y_test)} images")
    torch.save(model, HERE / "digits_cnn.pt")
    torch.save(model.state_dict(), HERE / "digits_cnn_state.pt")
    example = torch.as_tensor(x_test[:1])
    torch.export.save(torch.export.export(model, (example,)), HERE / "digits_cnn.pt2")
    rng = np.random.default_rng(SEED)
    calib = x_train[rng.choice(len(x_train), 200, replace=False)]
    np.save(HERE / "calib.npy", calib.astype(np.float32))
    np.save(HERE / "test_x.npy", x_test.astype(np.float32))
    np.save(HERE / "test_y.npy", y_test)


if __name__ == "__main__":
    main()

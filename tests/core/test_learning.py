"""The network actually learns: on the bundled data a small config gets >= 80% valid
accuracy in a few epochs (a few seconds on 2 cores)."""

from core import TrainConfig, Trainer, load_dataset


def test_small_config_reaches_80_percent_on_bundled_data():
    data = load_dataset()
    config = TrainConfig(hidden=(128,), epochs=4, optimizer="adam", lr=1e-3, batch_size=128, seed=0)
    trainer = Trainer(config, data)
    history = list(trainer.run())
    assert trainer.status == "finished"
    assert history[-1].valid_acc >= 0.80
    # and not by luck of the first epoch: loss fell monotonically on train
    losses = [r.train_loss for r in history]
    assert losses == sorted(losses, reverse=True)


def test_default_config_learns_in_one_epoch():
    """The defaults a new user gets (momentum, mini-batch 128, hidden 1000) work."""
    data = load_dataset(split="4000,2000")
    trainer = Trainer(TrainConfig(epochs=1), data)
    (record,) = list(trainer.run())
    assert record.valid_acc >= 0.70

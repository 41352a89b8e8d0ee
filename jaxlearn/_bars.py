"""Which tqdm class draws a progress bar."""


def tqdm_class(shown: bool):
    """tqdm.auto's bar (a widget in a notebook) where a bar is shown, plain tqdm (made disabled)
    where none is: importing tqdm.auto in a notebook without ipywidgets warns "IProgress not
    found" even when the bar it makes is disabled, which put that warning into the executed pages."""
    if shown:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm

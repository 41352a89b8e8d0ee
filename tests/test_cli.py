import jaxlearn
from jaxlearn.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exit:
        assert exit.code == 0
    assert capsys.readouterr().out.strip() == f"jaxlearn {jaxlearn.__version__}"


def test_help_lists_the_commands(capsys):
    assert main([]) == 0
    assert "info" in capsys.readouterr().out


def test_info_names_the_backend(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "backend  cpu" in out or "backend  gpu" in out

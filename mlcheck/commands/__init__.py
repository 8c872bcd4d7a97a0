"""The subcommands of ``mlcheck``; each module is registered in :data:`mlcheck.cli.COMMANDS`."""

from chatkit_tui.cli import main

raise SystemExit(main())

from lapas.cli import main

main()

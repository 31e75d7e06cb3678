from platewatch.cli import main

main()

from momentum.cli import main

main()

12354 bash 0

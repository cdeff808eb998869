return;
return "a"
if (a) return b, c; /* return */ "return"